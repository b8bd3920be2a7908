#include "storage/sqlite/database_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace connect_auth::storage::sqlite {

Result<void> make_parent_directories(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.parent_path();
  std::filesystem::path prefix;
  for (const auto& part : parent) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) == 0) continue;
    const int err = errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return make_error(ErrorCode::kStorageUnavailable,
                      std::string("cannot create the database directory: ") + std::strerror(err));
  }
  return Ok{};
}

Result<void> create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    // The umask can only clear bits, but be explicit rather than trust that.
    ::fchmod(fd, 0600);
    ::close(fd);
    return Ok{};
  }
  const int err = errno;
  if (err == EEXIST) return Ok{};
  return make_error(ErrorCode::kStorageUnavailable,
                    std::string("cannot create the database file: ") + std::strerror(err));
}

}  // namespace connect_auth::storage::sqlite
