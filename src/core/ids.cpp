#include "edgetrace/core/ids.hpp"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <type_traits>

namespace edgetrace::core::internal {

constinit thread_local SpanIdState t_span_ids{0, 0};

namespace {

constexpr std::int8_t kBad = -1;

constexpr std::array<std::int8_t, 256> make_hex_table(bool allow_upper) {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t)
    v = kBad;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  }
  if (allow_upper) {
    for (int c = 'A'; c <= 'F'; ++c) {
      t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
    }
  }
  return t;
}

constexpr auto kLowerTable = make_hex_table(false);
constexpr auto kAnyTable = make_hex_table(true);
constexpr char kHexDigits[] = "0123456789abcdef";

constexpr std::array<std::array<char, 2>, 256> make_hex_pairs() {
  std::array<std::array<char, 2>, 256> t{};
  for (std::size_t i = 0; i < 256; ++i)
    t[i] = {kHexDigits[i >> 4], kHexDigits[i & 0x0f]};
  return t;
}
constexpr auto kHexPairs = make_hex_pairs();

// Bumped in every child after fork(); a thread whose generator was seeded under another
// generation re-seeds before its next id.
std::atomic<std::uint32_t> g_fork_generation{0};

void on_fork_child() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
  // The child's only thread is the one that forked: its span-id state re-seeds.
  t_span_ids = SpanIdState{0, 0};
}

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

// xoshiro256**: 256 bits of state, passes BigCrush; not cryptographic, which ids need not be.
struct Generator {
  std::uint64_t s[4] = {0, 0, 0, 0};
  std::uint32_t generation = 0;
  bool seeded = false;

  void seed() noexcept {
    static std::once_flag atfork_once;
    std::call_once(atfork_once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
    std::uint64_t seed_words[4] = {0, 0, 0, 0};
    std::size_t got = 0;
    auto* bytes = reinterpret_cast<unsigned char*>(seed_words);
    while (got < sizeof(seed_words)) {
      ssize_t n = getrandom(bytes + got, sizeof(seed_words) - got, 0);
      if (n <= 0)
        break;
      got += static_cast<std::size_t>(n);
    }
    // Mix in time and this object's address so a failing getrandom still yields distinct
    // streams per thread; splitmix64 expands whatever we have into a non-zero state.
    std::uint64_t mix =
        seed_words[0] ^ seed_words[1] ^ seed_words[2] ^ seed_words[3] ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        reinterpret_cast<std::uintptr_t>(this);
    for (int i = 0; i < 4; ++i)
      s[i] = seed_words[i] ^ splitmix64(mix);
    generation = g_fork_generation.load(std::memory_order_relaxed);
    seeded = true;
  }

  std::uint64_t next() noexcept {
    if (!seeded || generation != g_fork_generation.load(std::memory_order_relaxed)) [[unlikely]] {
      seed();
    }
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

thread_local Generator t_generator;

}  // namespace

void seed_span_ids() noexcept {
  Generator& g = t_generator;
  const std::uint64_t hi = g.next();  // seeds (or re-seeds after a fork) first
  const std::uint64_t lo = g.next();
  t_span_ids = SpanIdState{lo | 1, hi};  // the generator's state must be odd
}

void redraw_span_ids(TraceId* trace, SpanId& span) noexcept {
  random_span_ids(trace, span);  // the zero draw moved the state on: the next one differs
}

int decode_hex(std::string_view text, std::span<std::uint8_t> out, HexCase hex_case) noexcept {
  const auto& table = hex_case == HexCase::kLowerOnly ? kLowerTable : kAnyTable;
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int8_t hi = table[static_cast<unsigned char>(text[2 * i])];
    std::int8_t lo = table[static_cast<unsigned char>(text[2 * i + 1])];
    if ((hi | lo) < 0)
      return static_cast<int>(hi < 0 ? 2 * i : 2 * i + 1);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return -1;
}

void encode_hex(std::span<const std::uint8_t> in, char* out) noexcept {
  for (std::size_t i = 0; i < in.size(); ++i)
    std::memcpy(out + 2 * i, kHexPairs[in[i]].data(), 2);
}

std::uint64_t random_u64() noexcept {
  return t_generator.next();
}

void fill_random_nonzero(std::span<std::uint8_t> out) noexcept {
  Generator& g = t_generator;
  // Fixed-size paths for span ids and trace ids: the common, hot cases.
  if (out.size() == 8) {
    std::uint64_t v = 0;
    do {
      v = g.next();
    } while (v == 0);
    std::memcpy(out.data(), &v, 8);
    return;
  }
  if (out.size() == 16) {
    std::uint64_t v[2] = {0, 0};
    do {
      v[0] = g.next();
      v[1] = g.next();
    } while ((v[0] | v[1]) == 0);
    std::memcpy(out.data(), v, 16);
    return;
  }
  std::uint64_t any = 0;
  do {
    any = 0;
    for (std::size_t i = 0; i < out.size(); i += 8) {
      const std::uint64_t v = g.next();
      const std::size_t n = std::min<std::size_t>(8, out.size() - i);
      std::memcpy(out.data() + i, &v, n);
      any |= n == 8 ? v : (v & ((std::uint64_t{1} << (8 * n)) - 1));
    }
  } while (any == 0);  // all-zero is invalid (probability 2^-64 per word)
}

}  // namespace edgetrace::core::internal

namespace edgetrace::core {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2, '\0');
  internal::encode_hex(bytes, out.data());
  return out;
}

std::string to_hex(std::string_view bytes) {
  return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                              bytes.size()));
}

}  // namespace edgetrace::core
