#pragma once

// Calls a generic lambda with a value of the C++ type of a number type, so that one
// template serves every number type: DispatchNumber(TypeId::kUInt16, [](auto tag) {
// using T = decltype(tag); ... }). Returns what the lambda returns; false-y default for
// types that are not numbers (the caller checks IsNumber first).

#include <cstdint>

#include "hedgerow/query/types.h"

namespace hedgerow::query {

template <class F>
auto DispatchNumber(TypeId id, F&& f) {
  switch (id) {
    case TypeId::kUInt8: return f(uint8_t{});
    case TypeId::kUInt16: return f(uint16_t{});
    case TypeId::kUInt32: return f(uint32_t{});
    case TypeId::kUInt64: return f(uint64_t{});
    case TypeId::kInt8: return f(int8_t{});
    case TypeId::kInt16: return f(int16_t{});
    case TypeId::kInt32: return f(int32_t{});
    case TypeId::kInt64: return f(int64_t{});
    case TypeId::kFloat32: return f(float{});
    default: return f(double{});
  }
}

// Bytes of one value of a fixed-width type (numbers, dates, UUID); 0 otherwise.
inline size_t FixedValueWidth(const DataType& type) {
  switch (type.id) {
    case TypeId::kDate: return 2;
    case TypeId::kDateTime: return 4;
    case TypeId::kDateTime64: return 8;
    case TypeId::kUuid: return 16;
    default: return type.NumberSize();
  }
}

}  // namespace hedgerow::query
