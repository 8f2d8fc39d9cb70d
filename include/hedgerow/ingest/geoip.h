#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hedgerow::ingest {

// What a City database knows of an address, in the terms of PostHog's GeoIP app: names in
// English, as MaxMind's GeoIP2/GeoLite2 City layout stores them.
struct GeoLocation {
  struct Subdivision {
    std::optional<std::string> code, name;
  };
  std::optional<std::string> city_name, country_name, country_code, continent_name, continent_code, postal_code,
      time_zone;
  std::optional<double> latitude, longitude;
  std::optional<uint64_t> accuracy_radius;
  std::vector<Subdivision> subdivisions;  // most significant first; at most kMaxSubdivisions

  static constexpr size_t kMaxSubdivisions = 4;
};

// A MaxMind-format City database (GeoLite2-City, GeoIP2-City, or DB-IP's City Lite in that
// layout) read with libmaxminddb, and swapped for the file's new contents when it changes.
//
// The file is copied into anonymous memory (memfd) before libmaxminddb maps it: a mapping of
// the file itself would SIGBUS the server if someone truncated it while copying a new one in.
// A path that does not exist or does not hold a database leaves the previous contents (or
// none) in use, with one warning per change of the file, never an error to the caller. A
// file that changes while it is copied is read again at the next check.
// Thread-safe.
class GeoIpDatabase {
 public:
  // `path` may not exist yet. The file is stat()ed for changes at most once per `recheck`.
  explicit GeoIpDatabase(std::string path, std::chrono::milliseconds recheck = std::chrono::seconds(1));
  ~GeoIpDatabase();
  GeoIpDatabase(const GeoIpDatabase&) = delete;
  GeoIpDatabase& operator=(const GeoIpDatabase&) = delete;

  // Null when `ip` is not an IPv4/IPv6 address, the database has no entry for it, or no
  // database is loaded. Locations are cached per database record (many networks share one:
  // a city), at most kCachedRecords of them.
  std::shared_ptr<const GeoLocation> Lookup(std::string_view ip);

  static constexpr size_t kCachedRecords = 65536;

  // Whether a database is loaded (after checking the file for changes).
  bool Loaded();
  // How many times a database was loaded: the first time, and once per change of the file.
  uint64_t loads() const { return loads_.load(); }
  const std::string& path() const { return path_; }

 private:
  struct Contents;
  struct FileIdentity {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;  // ctime: a chmod that makes it readable is a change
    bool operator==(const FileIdentity&) const = default;
  };
  std::shared_ptr<Contents> Current();
  void ReloadIfChanged();

  const std::string path_;
  const std::chrono::milliseconds recheck_;
  std::atomic<int64_t> next_check_ns_{0};
  std::atomic<uint64_t> loads_{0};
  std::mutex reload_mu_;  // one reloader at a time
  bool checked_ = false;              // guarded by reload_mu_
  std::optional<FileIdentity> seen_;  // guarded by reload_mu_; the file state last acted on
  std::mutex mu_;
  std::shared_ptr<Contents> current_;  // guarded by mu_
};

}  // namespace hedgerow::ingest
