import Foundation
import Testing

@testable import TensorFiles

/// The URL of a committed fixture.
func fixture(_ name: String) throws -> URL {
  let base = (name as NSString).deletingPathExtension
  let ext = (name as NSString).pathExtension
  return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures"))
}

/// The value `make_fixtures.py` stores at flat index `i` for a dtype.
func fixtureValue(_ i: Int, _ dtype: DType) -> Double {
  switch dtype {
  case .float16, .bfloat16, .float32, .float64: return Double(i - 7) * 0.25
  case .int8, .int16, .int32, .int64: return Double(i - 7)
  case .bool: return i % 3 == 0 ? 1 : 0
  default: return Double(i)
  }
}
