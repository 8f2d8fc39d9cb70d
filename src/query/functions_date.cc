#include "functions_impl.h"

namespace hedgerow::query {

void RegisterDateFunctions(FunctionMap&) {}

}  // namespace hedgerow::query
