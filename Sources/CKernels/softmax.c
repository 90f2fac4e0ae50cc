// The softmax kernel family (see CKernels.h), instantiated for float and double.
#include "internal/kernel_support.h"

#include "internal/instance_float.h"
#include "internal/row_template.h"
#include "internal/softmax_template.h"
#include "internal/instance_end.h"

#include "internal/instance_double.h"
#include "internal/row_template.h"
#include "internal/softmax_template.h"
#include "internal/instance_end.h"
