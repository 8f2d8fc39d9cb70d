// cityHash64, sipHash64 and halfMD5 of any number of values, and intHash64 / intHash32 of
// an integer, as ClickHouse's FunctionsHashing computes them: a String hashes its bytes; a
// number, date or time hashes as its value's bits (cityHash64 through intHash64 of the bits
// zero-extended, the others over the value's own bytes); an array as intHash64 of its size
// combined with each element's hash; a tuple as its elements in turn. Every further hash
// is combined into the one so far: CityHash's Hash128to64 for cityHash64, the hash function
// itself over the two hashes' 16 bytes for the others.

#include <openssl/evp.h>

#include "array_values.h"
#include "functions_impl.h"
#include "hash.h"

namespace hedgerow::query {
namespace {

enum class Algorithm { kCity, kSip, kHalfMd5 };

// The first 8 bytes of the MD5 digest read big-endian, as ClickHouse's halfMD5.
uint64_t HalfMd5(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | digest[i];
  return out;
}

// What hashing with no arguments gives in ClickHouse: a fixed value.
constexpr uint64_t kNoArgumentsHash = 16324913028386710556ULL;

class AnyHash final : public Function {
 public:
  AnyHash(const char* name, Algorithm algorithm) : name_(name), algorithm_(algorithm) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    for (const DataTypePtr& a : args) HEDGEROW_RETURN_IF_ERROR(CheckHashable(*a));
    return MakeType(TypeId::kUInt64);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<uint64_t> hashes(rows, kNoArgumentsHash);
    for (size_t a = 0; a < args.size(); ++a) {
      auto c = std::make_shared<Column>(*args[a]);
      c->rows = rows;
      Hash(*Materialize(c), hashes, a == 0);
    }
    return NumberColumn(result, hashes);
  }

 private:
  Status CheckHashable(const DataType& t) const {
    if (t.IsNumber() || t.id == TypeId::kString || t.id == TypeId::kDate || t.id == TypeId::kDateTime ||
        t.id == TypeId::kDateTime64) {
      return Status::Ok();
    }
    if (t.id == TypeId::kArray) return CheckHashable(*t.nested[0]);
    if (t.id == TypeId::kTuple) {
      for (const DataTypePtr& e : t.nested) HEDGEROW_RETURN_IF_ERROR(CheckHashable(*e));
      return Status::Ok();
    }
    return Status::InvalidArgument(fmt::format("Unexpected type {} of argument of function {}", t.Name(), name_));
  }

  uint64_t Bytes(std::string_view bytes) const {
    switch (algorithm_) {
      case Algorithm::kCity: return CityHash64(bytes);
      case Algorithm::kSip: return SipHash64(bytes);
      case Algorithm::kHalfMd5: return HalfMd5(bytes);
    }
    return 0;
  }

  uint64_t Combine(uint64_t so_far, uint64_t next) const {
    if (algorithm_ == Algorithm::kCity) return CityHashCombine(so_far, next);
    const uint64_t both[2] = {so_far, next};
    return Bytes(std::string_view(reinterpret_cast<const char*>(both), sizeof both));
  }

  // Hashes every row of `c` (not constant) into `hashes`: set when `first`, else combined.
  void Hash(const Column& c, std::vector<uint64_t>& hashes, bool first) const {
    auto put = [&](size_t row, uint64_t h) { hashes[row] = first ? h : Combine(hashes[row], h); };
    switch (c.type->id) {
      case TypeId::kString:
        for (size_t r = 0; r < c.rows; ++r) put(r, Bytes(c.StringAt(r)));
        return;
      case TypeId::kTuple:
        for (size_t i = 0; i < c.nested.size(); ++i) Hash(*c.nested[i], hashes, first && i == 0);
        return;
      case TypeId::kArray: {
        std::vector<uint64_t> elements(c.nested[0]->rows);
        Hash(*c.nested[0], elements, true);
        for (size_t r = 0; r < c.rows; ++r) {
          uint64_t h = IntHash64(ArrayEnd(c, r) - ArrayBegin(c, r));
          h = first ? h : Combine(hashes[r], h);
          for (uint64_t i = ArrayBegin(c, r); i < ArrayEnd(c, r); ++i) h = Combine(h, elements[i]);
          hashes[r] = h;
        }
        return;
      }
      default: {
        const size_t width = FixedValueWidth(*c.type);
        for (size_t r = 0; r < c.rows; ++r) {
          const char* value = reinterpret_cast<const char*>(c.fixed.data() + r * width);
          if (algorithm_ == Algorithm::kCity) {
            uint64_t bits = 0;
            std::memcpy(&bits, value, width);
            put(r, IntHash64(bits));
          } else {
            put(r, Bytes(std::string_view(value, width)));
          }
        }
      }
    }
  }

  const char* name_;
  Algorithm algorithm_;
};

// intHash64(x) and intHash32(x) of an integer, date or time, converted to UInt64 as C++
// converts (a negative value sign-extends).
class IntHash final : public Function {
 public:
  explicit IntHash(bool wide) : wide_(wide) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const char* name = wide_ ? "intHash64" : "intHash32";
    if (args.size() != 1) return WrongArgumentCount(name, args.size(), "1");
    const DataType& t = *args[0];
    if (!t.IsInteger() && t.id != TypeId::kDate && t.id != TypeId::kDateTime) {
      return Status::InvalidArgument(fmt::format("Illegal type {} of argument of function {}", t.Name(), name));
    }
    return MakeType(wide_ ? TypeId::kUInt64 : TypeId::kUInt32);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    auto values = std::make_shared<Column>(*args[0]);
    if (values->type->id == TypeId::kDate) values->type = MakeType(TypeId::kUInt16);
    if (values->type->id == TypeId::kDateTime) values->type = MakeType(TypeId::kUInt32);
    std::vector<uint64_t> x = NumbersAs<uint64_t>(*values, rows);
    if (wide_) {
      for (uint64_t& v : x) v = IntHash64(v);
      return NumberColumn(result, x);
    }
    std::vector<uint32_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = IntHash32(x[i]);
    return NumberColumn(result, out);
  }

 private:
  bool wide_;
};

}  // namespace

void RegisterHashFunctions(FunctionMap& functions) {
  functions.emplace("cityHash64", std::make_unique<AnyHash>("cityHash64", Algorithm::kCity));
  functions.emplace("sipHash64", std::make_unique<AnyHash>("sipHash64", Algorithm::kSip));
  functions.emplace("halfMD5", std::make_unique<AnyHash>("halfMD5", Algorithm::kHalfMd5));
  functions.emplace("intHash64", std::make_unique<IntHash>(true));
  functions.emplace("intHash32", std::make_unique<IntHash>(false));
}

}  // namespace hedgerow::query
