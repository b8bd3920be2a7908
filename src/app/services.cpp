#include "app/services.h"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <span>

#include "app/open_store.h"
#include "core/base64.h"

namespace connect_auth::app {
namespace {

// The key from the environment (a secret manager) wins over the file, which is created on first
// use only when no key was given.
Result<tokens::MasterKey> load_master_key(const config::Config& config) {
  if (config.secrets.master_key.empty()) {
    return tokens::MasterKey::load(config.effective_master_key_file(), /*create=*/true);
  }
  auto bytes = decode_base64(config.secrets.master_key);
  if (!bytes || bytes->size() != tokens::MasterKey::kSize) {
    if (bytes) sodium_memzero(bytes->data(), bytes->size());
    return make_error(ErrorCode::kInvalidRequest,
                      "secrets.master_key must be the base64 of exactly 32 bytes");
  }
  auto key = tokens::MasterKey::from_bytes(std::span<const std::uint8_t, tokens::MasterKey::kSize>(
      reinterpret_cast<const std::uint8_t*>(bytes->data()), tokens::MasterKey::kSize));
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

}  // namespace

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
  auto master_key = load_master_key(config);
  if (!master_key) return std::move(master_key).error();
  auto store =
      open_store(config.effective_store_url(), static_cast<std::size_t>(config.store.pool_size));
  if (!store) return std::move(store).error();
  // A master key that cannot open this database's signing keys belongs to another installation
  // (e.g. a different secrets.master_key_file): refuse it, or an admin command would hash new
  // secrets with the wrong pepper and print credentials that can never work.
  auto signing_keys = (*store)->list_signing_keys();
  if (!signing_keys) return std::move(signing_keys).error();
  if (!signing_keys->empty() && !master_key->open(signing_keys->front().sealed_material)) {
    return make_error(ErrorCode::kInvalidRequest,
                      "the master key " + config.effective_master_key_file().string() +
                          " does not belong to this database (check secrets.master_key_file)");
  }
  OpenedStore opened;
  opened.master_key = std::make_unique<tokens::MasterKey>(std::move(*master_key));
  opened.store = std::move(*store);
  return opened;
}

}  // namespace connect_auth::app
