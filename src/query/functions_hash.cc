#include "functions_impl.h"

namespace hedgerow::query {

void RegisterHashFunctions(FunctionMap&) {}

}  // namespace hedgerow::query
