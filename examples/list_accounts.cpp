// Lists the accounts an API key may read, with the connect-auth client library.
//
//   export CONNECT_AUTH_API_ID=… CONNECT_AUTH_API_SECRET=…
//   list_accounts https://auth.example.com [ca.pem]
//
// The library gets the token, keeps it fresh, retries what is worth retrying and reports OAuth
// errors as values; this program only decides what to print.
#include <connect_auth/client/client.h>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const char* api_id = std::getenv("CONNECT_AUTH_API_ID");
  const char* api_secret = std::getenv("CONNECT_AUTH_API_SECRET");
  if (argc < 2 || api_id == nullptr || api_secret == nullptr) {
    std::cerr << "usage: CONNECT_AUTH_API_ID=… CONNECT_AUTH_API_SECRET=… " << argv[0]
              << " BASE_URL [CA_FILE]\n";
    return 2;
  }
  connect_auth::client::Options options;
  options.base_url = argv[1];
  if (argc > 2) options.ca_file = argv[2];
  connect_auth::client::Client client(options, connect_auth::client::ApiKey{api_id, api_secret});

  auto accounts = client.accounts();
  if (!accounts) {
    std::cerr << "error: " << accounts.error().message() << "\n";
    return 1;
  }
  for (const auto& account : *accounts) {
    std::cout << account.account_guid << "  " << account.company_name << " ("
              << account.country_code << ")\n";
  }
  return 0;
}
