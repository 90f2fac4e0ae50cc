import NN
import Testing

/// The built-in teacher task is generated from sizes in a configuration file: its memory and time are bounded
/// whatever the file asks for, and each refusal names the setting.
@Suite("Built-in teacher task: bounded sizes")
struct TeacherTaskLimitTests {
  @Test func sizesBeyondTheBoundsAreRefusedNamingTheSetting() throws {
    try TeacherClassificationTask(examples: 16_384, features: 32, classes: 8, teacherHidden: 32, seed: 0).validate()
    let cases: [(TeacherClassificationTask, String)] = [
      // 2²⁴ examples × 2²⁴ hidden units: forever, in bounded memory.
      (TeacherClassificationTask(examples: 1 << 24, features: 1, classes: 2, teacherHidden: 1 << 24, seed: 0), "teacher_hidden"),
      // Probabilities for 2²⁴ examples × 2²⁴ classes: 2 PiB.
      (TeacherClassificationTask(examples: 1 << 24, features: 1, classes: 1 << 24, teacherHidden: 1, seed: 0), "examples"),
      (TeacherClassificationTask(examples: 1 << 20, features: 1 << 10, classes: 2, teacherHidden: 1, seed: 0), "examples"),
      (TeacherClassificationTask(examples: 0, features: 1, classes: 2, teacherHidden: 1, seed: 0), "examples"),
    ]
    for (task, setting) in cases {
      #expect(performing: { try task.validate() }, throws: { error in
        guard case .invalidSetting(let name, _) = error as? DataError else { return false }
        return name == setting
      })
    }
  }
}
