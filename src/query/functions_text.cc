#include "functions_impl.h"

namespace hedgerow::query {

void RegisterTextFunctions(FunctionMap&) {}

}  // namespace hedgerow::query
