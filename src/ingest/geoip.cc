#include "hedgerow/ingest/geoip.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "hedgerow/common/log.h"

namespace hedgerow::ingest {

// An open database over a private in-memory copy of the file.
struct GeoIpDatabase::Contents {
  MMDB_s mmdb{};
  int memfd = -1;
  // Locations by the offset of their record in the data section.
  std::mutex cache_mu;
  std::unordered_map<uint64_t, std::shared_ptr<const GeoLocation>> cache;  // guarded by cache_mu
  ~Contents() {
    MMDB_close(&mmdb);
    if (memfd >= 0) close(memfd);
  }
};

namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Copies the file at `path` into a new memfd. -1 with `error` set on failure; `changed` when
// fstat() before or after the copy finds a file that is not `unchanged`: it is being
// rewritten, and the next check reads it again.
template <typename Unchanged>
int CopyToMemfd(const std::string& path, Unchanged unchanged, std::string& error, bool& changed) {
  changed = false;
  int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    error = fmt::format("cannot open: {}", std::strerror(errno));
    return -1;
  }
  struct stat before {};
  if (fstat(in, &before) != 0 || !unchanged(before)) {
    error = "the file changed while it was read";
    changed = true;
    close(in);
    return -1;
  }
  int out = memfd_create("hedgerow-geoip", MFD_CLOEXEC);
  if (out < 0) {
    error = fmt::format("memfd_create: {}", std::strerror(errno));
    close(in);
    return -1;
  }
  char buffer[1 << 16];
  while (true) {
    ssize_t n = read(in, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = fmt::format("read: {}", std::strerror(errno));
      close(in);
      close(out);
      return -1;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error = fmt::format("copying into memory: {}", std::strerror(errno));
        close(in);
        close(out);
        return -1;
      }
      done += w;
    }
  }
  struct stat after {};
  if (fstat(in, &after) != 0 || !unchanged(after)) {
    error = "the file changed while it was read";
    changed = true;
    close(in);
    close(out);
    return -1;
  }
  close(in);
  return out;
}

// The value at `path` (nullptr-terminated) as a string, when it is one.
std::optional<std::string> String(MMDB_entry_s* entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return std::nullopt;
  }
  return std::string(data.utf8_string, data.data_size);
}

std::optional<double> Number(MMDB_entry_s* entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return std::nullopt;
  switch (data.type) {
    case MMDB_DATA_TYPE_DOUBLE: return data.double_value;
    case MMDB_DATA_TYPE_FLOAT: return data.float_value;
    case MMDB_DATA_TYPE_UINT16: return data.uint16;
    case MMDB_DATA_TYPE_UINT32: return data.uint32;
    case MMDB_DATA_TYPE_INT32: return data.int32;
    default: return std::nullopt;
  }
}

}  // namespace

GeoIpDatabase::GeoIpDatabase(std::string path, std::chrono::milliseconds recheck)
    : path_(std::move(path)), recheck_(recheck) {
  ReloadIfChanged();
}

GeoIpDatabase::~GeoIpDatabase() = default;

std::shared_ptr<GeoIpDatabase::Contents> GeoIpDatabase::Current() {
  if (SteadyNanos() >= next_check_ns_.load(std::memory_order_relaxed)) ReloadIfChanged();
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

bool GeoIpDatabase::Loaded() { return Current() != nullptr; }

void GeoIpDatabase::ReloadIfChanged() {
  std::unique_lock<std::mutex> reloading(reload_mu_, std::try_to_lock);
  if (!reloading.owns_lock()) return;  // another thread is at it; use what is loaded
  next_check_ns_.store(SteadyNanos() + std::chrono::nanoseconds(recheck_).count(), std::memory_order_relaxed);
  auto identity = [](const struct stat& st) {
    return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                        static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
                        st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec};
  };
  struct stat st {};
  std::optional<FileIdentity> now;
  if (stat(path_.c_str(), &st) == 0) now = identity(st);
  if (checked_ && now == seen_) return;
  if (!now) {
    checked_ = true;
    seen_ = now;
    LogWarn("ingest", "GeoIP database not found; events get no $geoip_* properties until it appears",
            {{"path", path_}});
    return;
  }
  std::string error;
  bool changed = false;
  auto contents = std::make_shared<Contents>();
  contents->memfd = CopyToMemfd(
      path_, [&](const struct stat& opened) { return identity(opened) == *now; }, error, changed);
  if (changed) return;  // being rewritten: not seen yet, so read again at the next check
  checked_ = true;
  seen_ = now;
  if (contents->memfd >= 0) {
    // libmaxminddb opens a path: the memfd's, through /proc.
    std::string fd_path = fmt::format("/proc/self/fd/{}", contents->memfd);
    int rc = MMDB_open(fd_path.c_str(), MMDB_MODE_MMAP, &contents->mmdb);
    if (rc != MMDB_SUCCESS) {
      error = MMDB_strerror(rc);
      close(contents->memfd);
      contents->memfd = -1;
      contents->mmdb = MMDB_s{};
    }
  }
  if (contents->memfd < 0) {
    LogWarn("ingest", "cannot load the GeoIP database; keeping what was loaded before",
            {{"path", path_}, {"error", error}, {"loaded", current_ != nullptr}});
    return;
  }
  LogInfo("ingest", "GeoIP database loaded",
          {{"path", path_},
           {"type", contents->mmdb.metadata.database_type ? contents->mmdb.metadata.database_type : ""},
           {"build_epoch", static_cast<uint64_t>(contents->mmdb.metadata.build_epoch)},
           {"bytes", now->size}});
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(contents);
  loads_.fetch_add(1);
}

std::shared_ptr<const GeoLocation> GeoIpDatabase::Lookup(std::string_view ip) {
  // inet_pton wants a terminated string; an address is at most 45 characters.
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text) return nullptr;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  sockaddr_storage address{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    return nullptr;
  }
  std::shared_ptr<Contents> contents = Current();
  if (!contents) return nullptr;
  int error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&contents->mmdb, reinterpret_cast<const sockaddr*>(&address), &error);
  if (error != MMDB_SUCCESS || !result.found_entry) return nullptr;
  {
    std::lock_guard<std::mutex> lock(contents->cache_mu);
    if (auto it = contents->cache.find(result.entry.offset); it != contents->cache.end()) return it->second;
  }
  MMDB_entry_s* entry = &result.entry;
  auto location = std::make_shared<GeoLocation>();
  GeoLocation& out = *location;
  static const char* const kCity[] = {"city", "names", "en", nullptr};
  static const char* const kCountryName[] = {"country", "names", "en", nullptr};
  static const char* const kCountryCode[] = {"country", "iso_code", nullptr};
  static const char* const kContinentName[] = {"continent", "names", "en", nullptr};
  static const char* const kContinentCode[] = {"continent", "code", nullptr};
  static const char* const kPostal[] = {"postal", "code", nullptr};
  static const char* const kLatitude[] = {"location", "latitude", nullptr};
  static const char* const kLongitude[] = {"location", "longitude", nullptr};
  static const char* const kAccuracy[] = {"location", "accuracy_radius", nullptr};
  static const char* const kTimeZone[] = {"location", "time_zone", nullptr};
  out.city_name = String(entry, kCity);
  out.country_name = String(entry, kCountryName);
  out.country_code = String(entry, kCountryCode);
  out.continent_name = String(entry, kContinentName);
  out.continent_code = String(entry, kContinentCode);
  out.postal_code = String(entry, kPostal);
  out.latitude = Number(entry, kLatitude);
  out.longitude = Number(entry, kLongitude);
  if (std::optional<double> radius = Number(entry, kAccuracy)) out.accuracy_radius = static_cast<uint64_t>(*radius);
  out.time_zone = String(entry, kTimeZone);
  for (size_t i = 0; i < GeoLocation::kMaxSubdivisions; ++i) {
    std::string index = std::to_string(i);
    const char* const code_path[] = {"subdivisions", index.c_str(), "iso_code", nullptr};
    const char* const name_path[] = {"subdivisions", index.c_str(), "names", "en", nullptr};
    GeoLocation::Subdivision subdivision{String(entry, code_path), String(entry, name_path)};
    if (!subdivision.code && !subdivision.name) break;
    out.subdivisions.push_back(std::move(subdivision));
  }
  std::lock_guard<std::mutex> lock(contents->cache_mu);
  if (contents->cache.size() >= kCachedRecords) contents->cache.clear();  // a bound, not an LRU
  contents->cache.emplace(result.entry.offset, location);
  return location;
}

}  // namespace hedgerow::ingest
