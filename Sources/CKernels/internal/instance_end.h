// Ends a template instantiation started with instance_float.h or instance_double.h.
#undef REAL
#undef VEC
#undef MASK
#undef LANES
#undef VEXP
#undef VSELECT
#undef SML_NAME
