#include "functions_impl.h"

namespace hedgerow::query {

void RegisterJsonFunctions(FunctionMap&) {}

}  // namespace hedgerow::query
