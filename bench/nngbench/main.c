/* boxoffice-nngbench: a load generator over the NNG rpc channel (see nb_bench.h). */
#include "nb_bench.h"
#include "nb_config.h"

#include "bo_log.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    struct nb_config cfg;
    char err[512];
    int help = 0;

    bo_log_setup("boxoffice-nngbench", BO_LOG_ERROR);
    if (nb_config_load(&cfg, argc, argv, &help, err, sizeof(err)) != 0) {
        fprintf(stderr, "nngbench: error: %s\n", err);
        return NB_EXIT_USAGE;
    }
    if (help) {
        nb_config_usage(stdout);
        return NB_EXIT_OK;
    }
    return nb_bench_execute(&cfg);
}
