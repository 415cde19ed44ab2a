// Throwaway certificates for TLS tests, made by the openssl CLI in a directory the test owns.
//
//   std::string error = edgetrace::testing::make_test_certificates(dir);
//   ASSERT_TRUE(error.empty()) << error;
//   // dir/ca.pem, ca.key            a CA
//   // dir/server.pem, server.key    signed by ca, for 127.0.0.1 and localhost (serverAuth)
//   // dir/client.pem, client.key    signed by ca (clientAuth)
//   // dir/other-ca.pem              another CA; dir/stranger.pem/.key signed by it
//
// EC P-256 keys, valid for two days. Blocks for the openssl runs (at most 60 s).
// Thread-safety: call once per directory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace edgetrace::testing {

// Empty on success, else what went wrong with openssl's output.
inline std::string make_test_certificates(const std::filesystem::path& dir) {
  const std::filesystem::path script = dir / "make-certs.sh";
  {
    std::ofstream out(script);
    out << R"(set -eu
cd "$1"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
for ca in ca other-ca; do
  openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=edgetrace test $ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
  -extfile server.ext -out server.pem
for c in client:ca stranger:other-ca; do
  name=${c%%:*}; issuer=${c##*:}
  openssl req $ec -keyout $name.key -out $name.csr -subj "/CN=edgetrace test $name"
  openssl x509 -req -in $name.csr -CA $issuer.pem -CAkey $issuer.key -set_serial 3 -days 2 \
    -extfile client.ext -out $name.pem
done
)";
  }
  const std::filesystem::path log = dir / "openssl.log";
  const std::string command = "timeout 60 sh '" + script.string() + "' '" + dir.string() + "' > '" +
                              log.string() + "' 2>&1";
  if (std::system(command.c_str()) == 0)
    return {};
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return "openssl could not make the test certificates (is the openssl CLI installed?):\n" +
         text.str();
}

}  // namespace edgetrace::testing
