#pragma once

#include <string_view>

namespace hedgerow::query {

// Whether hedgerow's engine has a function called `name`: a scalar function, an aggregate
// (with its combinators), a higher-order array function or arrayJoin. What a query may call
// is this list on either backend; a ClickHouse cluster is never asked to run a function
// hedgerow does not know (dictGet, joinGet, file, ... reach past a project's rows).
bool IsKnownFunction(std::string_view name);

}  // namespace hedgerow::query
