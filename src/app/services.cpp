#include "app/services.h"

#include <sys/stat.h>

#include <filesystem>

namespace connect_auth::app {

Result<OpenedStore> open_data(const config::Config& config) {
  std::error_code ec;
  std::filesystem::path data_dir(config.data_dir);
  if (!std::filesystem::exists(data_dir)) {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) {
      return make_error(ErrorCode::kInternal,
                        "cannot create data directory " + data_dir.string() + ": " + ec.message());
    }
    ::chmod(data_dir.c_str(), 0700);
  }
  auto master_key = tokens::MasterKey::load(config.effective_master_key_file(), /*create=*/true);
  if (!master_key) return std::move(master_key).error();
  auto store = storage::open_store(config.effective_store_url());
  if (!store) return std::move(store).error();
  OpenedStore opened;
  opened.master_key = std::make_unique<tokens::MasterKey>(std::move(*master_key));
  opened.store = std::move(*store);
  return opened;
}

}  // namespace connect_auth::app
