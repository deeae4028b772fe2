/* intake_settings.h -- intake's settings, for both its processes. */
#ifndef INTAKE_SETTINGS_H
#define INTAKE_SETTINGS_H

#include "pelukan/config.h"

/* Every setting of intake's: the case owner's table (PK_CONFIG_END ends it). */
extern const pk_config_def_t intake_settings[];
/* Those the edge reads: the last rows of the same table. */
#define INTAKE_OWNER_SETTINGS 20
extern const pk_config_def_t *const intake_edge_settings;

#endif
