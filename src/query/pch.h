// Precompiled for the query module: the standard library, fmt and the headers every
// function and executor file includes; compiled once instead of in each of ~50 files.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/column.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/query/types.h"
