#pragma once

// The text function families functions_text.cc registers besides its own.

#include "functions_impl.h"

namespace hedgerow::query {

void RegisterRegexpFunctions(FunctionMap& functions);  // functions_regexp.cc
void RegisterUrlFunctions(FunctionMap& functions);     // functions_url.cc

}  // namespace hedgerow::query
