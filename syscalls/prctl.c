/* prctl: the options programs ask at startup. The one program holds every
 * capability, so each valid capability is in its bounding set; the THP flag
 * is kept (the kernel has no transparent huge pages to turn off). Options not
 * served here answer EINVAL, as Linux does for an option it does not know,
 * logged once by number. */
#include "syscalls.h"

#define PR_CAPBSET_READ 23
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42
#define CAP_LAST_CAP 40 /* CAP_CHECKPOINT_RESTORE, Linux 5.9 on */

static int thp_disabled; /* MMF_DISABLE_THP: kept across execve, as Linux keeps it */

/* The calling process's answer to OPTION with ARG2..ARG5, or -errno. */
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
	switch (option) {
	case PR_CAPBSET_READ:
		return arg2 <= CAP_LAST_CAP ? 1 : -EINVAL;
	case PR_SET_THP_DISABLE:
		if (arg3 || arg4 || arg5)
			return -EINVAL;
		thp_disabled = arg2 != 0;
		return 0;
	case PR_GET_THP_DISABLE:
		if (arg2 || arg3 || arg4 || arg5)
			return -EINVAL;
		return thp_disabled;
	default:
		klog_once("prctl", "uninode: prctl option %d (and any other unserved one) answered EINVAL\n", option);
		return -EINVAL;
	}
}
