#include "hedgerow/common/json.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace hedgerow {

bool IsJson(std::string_view text) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  // Stop after the root value so that trailing garbage is reported as an error.
  return !reader.Parse<rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag>(stream, ignore)
              .IsError() &&
         [&] {
           while (stream.Peek() == ' ' || stream.Peek() == '\n' || stream.Peek() == '\r' || stream.Peek() == '\t') {
             stream.Take();
           }
           return stream.Peek() == '\0' && stream.Tell() == text.size();
         }();
}

}  // namespace hedgerow
