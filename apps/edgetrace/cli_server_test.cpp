// The `edgetrace` binary against a SymbolHttpServer on 127.0.0.1: uploads with a token
// file or EDGETRACE_TOKEN, list/show/delete, and decode --server; the token never appears
// in anything the CLI prints.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "symbol_http.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::cli {
namespace {

namespace fs = std::filesystem;
using decoder::SymbolHttpHandler;
using decoder::SymbolHttpServer;
using decoder::SymbolStore;

constexpr const char* kToken = "ci-upload-token-5f2a9c";

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class CliServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    decoder::SymbolStoreOptions options;
    options.directory = dir_ / "store";
    store_ = std::move(SymbolStore::open(options).value());
    handler_ = std::make_unique<SymbolHttpHandler>(*store_, kToken);
    server_ = std::move(SymbolHttpServer::start(*handler_, {}).value());
    std::ofstream(dir_ / "token") << kToken << "\n";
    std::ofstream(dir_ / "wrong-token") << "not-the-token-77\n";
    capture_ = dir_ / "capture.bin";
    ASSERT_EQ(run({ET_FIXTURE_ELF, "--stream"}, {}, capture_).code, 0);
  }
  void TearDown() override { server_.reset(); }

  // Runs a program with `env` added to the environment; stdout goes to `stdout_path` when
  // given. Never through a shell.
  CliRun run(std::vector<std::string> args, std::vector<std::string> env = {},
             const fs::path& stdout_path = {}) {
    const fs::path out = stdout_path.empty() ? dir_ / "out" : stdout_path;
    const fs::path err = dir_ / "err";
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, STDOUT_FILENO);
      ::dup2(e, STDERR_FILENO);
      ::unsetenv("EDGETRACE_TOKEN");
      for (const auto& kv : env)
        ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = stdout_path.empty() ? slurp(out) : std::string();
    r.err = slurp(err);
    return r;
  }

  CliRun cli(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), ET_CLI);
    CliRun r = run(std::move(args), std::move(env));
    EXPECT_EQ(r.out.find(kToken), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(kToken), std::string::npos) << r.err;
    return r;
  }

  edgetrace::testing::TempDir temp_{"et-cli-server"};
  fs::path dir_;
  fs::path capture_;
  std::unique_ptr<SymbolStore> store_;
  std::unique_ptr<SymbolHttpHandler> handler_;
  std::unique_ptr<SymbolHttpServer> server_;
};

TEST_F(CliServerTest, UploadListShowAndDecodeThroughTheServer) {
  const std::string url = server_->url();
  CliRun up = cli({"symbols", "upload", "--server", url, "--token-file", (dir_ / "token").string(),
                   ET_FIXTURE_ELF});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_NE(up.out.find(" 3 call sites (edgetrace)"), std::string::npos) << up.out;
  const std::string id = up.out.substr(0, up.out.find(' '));
  EXPECT_EQ(store_->counters().puts, 1u);
  ASSERT_TRUE(store_->show(id));

  CliRun again = cli({"symbols", "upload", "--server", url, ET_FIXTURE_ELF},
                     {std::string("EDGETRACE_TOKEN=") + kToken});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already present"), std::string::npos) << again.out;

  CliRun list = cli({"symbols", "list", "--server", url});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out.rfind(id, 0), 0u) << list.out;
  CliRun show = cli({"symbols", "show", id, "--server", url});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("call sites  3"), std::string::npos) << show.out;

  CliRun decode =
      cli({"decode", "--server", url, "--input", capture_.string(), "--time", "none", "--strict"});
  ASSERT_EQ(decode.code, 0) << decode.err;
  EXPECT_NE(decode.out.find("[INFO] temp=21 hum=28\n[WARN] low battery\n"), std::string::npos)
      << decode.out;
  EXPECT_NE(decode.err.find("frames=9 records=9 corrupt=0"), std::string::npos) << decode.err;

  CliRun del =
      cli({"symbols", "delete", id, "--server", url, "--token-file", (dir_ / "token").string()});
  ASSERT_EQ(del.code, 0) << del.err;
  EXPECT_FALSE(store_->show(id));
  CliRun orphan = cli({"decode", "--server", url, "--input", capture_.string(), "--strict"});
  EXPECT_EQ(orphan.code, 1);
  EXPECT_NE(orphan.err.find("unresolved-build-ids=1"), std::string::npos) << orphan.err;
}

TEST_F(CliServerTest, UploadWithoutOrWithAWrongTokenFailsWithoutPrintingIt) {
  const std::string url = server_->url();
  CliRun none = cli({"symbols", "upload", "--server", url, ET_FIXTURE_ELF});
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("401"), std::string::npos) << none.err;

  CliRun wrong = cli({"symbols", "upload", "--server", url, "--token-file",
                      (dir_ / "wrong-token").string(), ET_FIXTURE_ELF});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("403"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("not-the-token-77"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.out.find("not-the-token-77"), std::string::npos) << wrong.out;

  CliRun missing = cli({"symbols", "upload", "--server", url, "--token-file",
                        (dir_ / "no-such-file").string(), ET_FIXTURE_ELF});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("cannot read the token file"), std::string::npos) << missing.err;
  EXPECT_EQ(store_->counters().puts, 0u);
}

TEST_F(CliServerTest, UnreachableServerFailsWithExitCode1) {
  const std::string url = server_->url();
  server_->stop();
  CliRun r = cli({"symbols", "list", "--server", url});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("edgetrace: "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace edgetrace::cli
