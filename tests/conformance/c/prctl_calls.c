// The prctl options MariaDB's startup asks (libcap's probe of the last
// capability through PR_CAPBSET_READ, and PR_SET_THP_DISABLE), with the
// arguments Linux refuses.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static void show(const char *what, int r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %d\n", what, r);
}

int main(void)
{
	show("capbset_read CAP_CHOWN", prctl(PR_CAPBSET_READ, 0, 0, 0, 0));
	show("capbset_read 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
	show("capbset_read 63", prctl(PR_CAPBSET_READ, 63, 0, 0, 0));
	show("capbset_read -1", prctl(PR_CAPBSET_READ, -1L, 0, 0, 0));
	show("get_thp_disable", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	show("set_thp_disable 1", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	show("get_thp_disable", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	show("set_thp_disable with arg3", prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0));
	show("get_thp_disable with arg2", prctl(PR_GET_THP_DISABLE, 1, 0, 0, 0));
	show("set_thp_disable 0", prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0));
	show("get_thp_disable", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	show("option 1000", prctl(1000, 0, 0, 0, 0));
	return 0;
}
