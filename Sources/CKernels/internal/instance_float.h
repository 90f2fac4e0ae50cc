// Instantiates the type-generic kernel templates for float (include before a template, then instance_end.h).
#define REAL float
#define VEC sml_vf
#define MASK sml_vfi
#define BITS sml_vfb
#define BITS_INT unsigned short
#define LANES 16
#define VEXP sml_exp_vf
#define VSELECT sml_select_vf
#define SML_NAME(name) name##_f
