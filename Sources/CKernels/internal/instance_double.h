// Instantiates the type-generic kernel templates for double (include before a template, then instance_end.h).
#define REAL double
#define VEC sml_vd
#define MASK sml_vdi
#define BITS sml_vdb
#define BITS_INT unsigned char
#define LANES 8
#define VEXP sml_exp_vd
#define VSELECT sml_select_vd
#define SML_NAME(name) name##_d
