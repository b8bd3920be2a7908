#include "storage/record_names.h"

#include <gtest/gtest.h>

namespace connect_auth::storage {
namespace {

TEST(RecordNamesTest, RolesRoundTripWithWireSpelling) {
  EXPECT_EQ(role_name(Role::kAdministrator), "ADMINISTRATOR");
  EXPECT_EQ(role_name(Role::kManager), "MANAGER");
  EXPECT_EQ(role_name(Role::kReporting), "REPORTING");
  for (Role r : {Role::kAdministrator, Role::kManager, Role::kReporting}) {
    EXPECT_EQ(role_from_name(role_name(r)), r);
  }
  EXPECT_FALSE(role_from_name("manager").has_value());  // exact spelling only
  EXPECT_FALSE(role_from_name("").has_value());
}

TEST(RecordNamesTest, ChangeKindsRoundTrip) {
  for (ChangeKind k :
       {ChangeKind::kApiKey, ChangeKind::kAccount, ChangeKind::kUser, ChangeKind::kSigningKey}) {
    EXPECT_FALSE(change_kind_name(k).empty());
    EXPECT_EQ(change_kind_from_name(change_kind_name(k)), k);
  }
  EXPECT_EQ(change_kind_name(ChangeKind::kApiKey), "api_key");
  EXPECT_FALSE(change_kind_from_name("API_KEY").has_value());
}

}  // namespace
}  // namespace connect_auth::storage
