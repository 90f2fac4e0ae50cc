// The umbrella module: one import brings every public StructuredML module.
@_exported import Distributed
@_exported import Monarch
@_exported import NN
@_exported import Pretrained
@_exported import ProbabilityMaps
@_exported import StateSpaces
@_exported import TensorCore
@_exported import TensorFiles
