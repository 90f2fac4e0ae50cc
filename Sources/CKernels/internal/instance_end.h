// Ends a template instantiation started with instance_float.h or instance_double.h.
#undef REAL
#undef VEC
#undef MASK
#undef BITS
#undef BITS_INT
#undef LANES
#undef VEXP
#undef VSELECT
#undef SML_NAME
