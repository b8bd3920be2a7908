#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "core/json_text.h"
#include "domain/auth_cache.h"
#include "domain/signing_keys.h"
#include "tokens/jws_key.h"

namespace connect_auth::cli {
namespace {

// A key is published and verified until every token it may have signed has expired.
std::int64_t retire_after_seconds(const config::Config& config) {
  return std::max(config.tokens.v3.lifetime_seconds, config.tokens.v4.lifetime_seconds) +
         config.tokens.clock_skew_seconds;
}

}  // namespace

void add_signing_key_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("signing-key", "Inspect and rotate token signing keys");
  group->require_subcommand(1);
  auto algorithm = std::make_shared<std::string>("all");

  auto* list = group->add_subcommand("list", "List signing keys and what each does now");
  on_session_command(list, context, [](AdminSession& session, bool json) {
    auto keys = session.store().list_signing_keys();
    if (!keys) return report(keys.error());
    // The server's own rule (domain::open_key_ring) says which key signs now.
    const std::vector<domain::SigningKeyState> states =
        domain::signing_key_states(*keys, session.clock().now_seconds());
    const auto state_of = [&](const storage::SigningKey& k) {
      return domain::signing_key_state_name(states[static_cast<std::size_t>(&k - keys->data())]);
    };
    if (json) {
      print_line(json_array(*keys, [&](const storage::SigningKey& k) {
        return fmt::format(
            R"({{"kid":{},"algorithm":{},"state":"{}","createdAt":{},"activatesAt":{},"retiredAt":{}}})",
            json_string(k.kid), json_string(k.algorithm), state_of(k), k.created_at,
            k.activates_at, k.retired_at ? std::to_string(*k.retired_at) : "null");
      }));
      return kExitOk;
    }
    for (const auto& k : *keys) {
      print_line(fmt::format("{}  {}  {}{}", k.algorithm, k.kid, state_of(k),
                             k.retired_at ? fmt::format("  (retires at {})", *k.retired_at) : ""));
    }
    return kExitOk;
  });

  auto* rotate = group->add_subcommand(
      "rotate",
      "Create new signing keys: published at once, signing after "
      "signing_keys.publish_delay_seconds; the old keys verify until their tokens have expired");
  rotate->add_option("--algorithm", *algorithm, "RS256, HS256 or all")
      ->check(CLI::IsMember({"RS256", "HS256", "all"}));
  on_session_command(rotate, context, [algorithm](AdminSession& session, bool json) {
    std::vector<tokens::JwsAlgorithm> which;
    if (*algorithm != "HS256") which.push_back(tokens::JwsAlgorithm::kRs256);
    if (*algorithm != "RS256") which.push_back(tokens::JwsAlgorithm::kHs256);
    const config::Config& config = session.config();
    const domain::RotationTimes times{config.signing_keys.publish_delay_seconds,
                                      retire_after_seconds(config)};
    std::vector<std::string> lines;
    for (const auto alg : which) {
      auto rotated = domain::rotate_signing_key(session.store(), session.master_key(),
                                                session.random(), session.clock(), alg, times);
      if (!rotated) return report(rotated.error());
      const std::int64_t signs_at = rotated->activates_at;
      lines.push_back(json ? fmt::format(R"({{"kid":{},"algorithm":"{}","activatesAt":{}}})",
                                         json_string(rotated->kid),
                                         tokens::algorithm_name(alg), signs_at)
                           : fmt::format("{} {}: published now, signs from {} (in {} s)",
                                         tokens::algorithm_name(alg), rotated->kid, signs_at,
                                         times.publish_delay_seconds));
    }
    if (json) {
      print_line(json_array(lines, [](const std::string& line) { return line; }));
    } else {
      for (const auto& line : lines) print_line(line);
    }
    return kExitOk;
  });
}

}  // namespace connect_auth::cli
