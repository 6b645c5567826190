/* <stdio.h> for lwIP: diagnostics go through LWIP_PLATFORM_DIAG (arch/cc.h). */
#pragma once
#include <stddef.h>
