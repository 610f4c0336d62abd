/* bo_enum: enumeration value names without their .proto prefix (see bo_enum.h). */
#include "bo_enum.h"

#include <string.h>

const char *bo_enum_name(const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v =
        value != 0 ? protobuf_c_enum_descriptor_get_value(desc, value) : NULL;
    const char *underscore = v != NULL ? strchr(v->name, '_') : NULL;

    return underscore != NULL ? underscore + 1 : "UNSPECIFIED";
}
