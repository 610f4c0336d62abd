/* handlers: the rpc handlers of service Boxoffice, protobuf <-> domain records. */
#ifndef SVC_HANDLERS_H
#define SVC_HANDLERS_H

#include <protobuf-c/protobuf-c.h>

/* handlers_service returns the service whose method table dispatch invokes. */
ProtobufCService *handlers_service(void);

#endif
