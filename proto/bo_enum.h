/* bo_enum: the names REST, the CLI and logs show for protobuf enumeration values. */
#ifndef BO_ENUM_H
#define BO_ENUM_H

#include <protobuf-c/protobuf-c.h>

/* bo_enum_name returns the .proto name of value without its prefix up to the first '_'
 * ("TOKEN_WAITING" -> "WAITING", "SEAT_SOLD" -> "SOLD"), or "UNSPECIFIED" for 0 and for
 * values desc lacks. The string is static. */
const char *bo_enum_name(const ProtobufCEnumDescriptor *desc, int value);

#endif
