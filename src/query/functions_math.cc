#include "functions_impl.h"

namespace hedgerow::query {

void RegisterMathFunctions(FunctionMap&) {}

}  // namespace hedgerow::query
