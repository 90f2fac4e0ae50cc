// The helpers are header-inline; this file gives the target a translation unit.
#include "CRelaxed.h"
