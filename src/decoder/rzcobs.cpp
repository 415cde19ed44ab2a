#include "edgetrace/decoder/rzcobs.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace edgetrace::decoder {

namespace {

// Literal bytes one 0xff code carries, and the longest run a 1nnnnnnn code carries.
constexpr std::size_t kFullRun = 134;
constexpr std::size_t kMinRun = 7;
constexpr std::size_t kMaxRun = 7 + 126;

core::Status truncated(std::size_t at) {
  return core::Status(core::StatusCode::kDataLoss, "rzcobs: code byte at offset " +
                                                       std::to_string(at) +
                                                       " asks for more bytes than the frame holds");
}

}  // namespace

core::Status rzcobs_decode(std::span<const std::uint8_t> encoded, std::vector<std::uint8_t>& out) {
  out.clear();
  if (encoded.empty()) {
    return core::Status();
  }
  if (const void* z = std::memchr(encoded.data(), 0, encoded.size()); z != nullptr) {
    const auto at = static_cast<const std::uint8_t*>(z) - encoded.data();
    return core::Status(core::StatusCode::kDataLoss,
                        "rzcobs: 0x00 inside a frame at offset " + std::to_string(at));
  }
  // The frame is read from its end; the output is built backwards and reversed at the end.
  out.reserve(encoded.size() + encoded.size() / 2 + 8);
  std::size_t pos = encoded.size();
  while (pos > 0) {
    const std::size_t code_at = pos - 1;
    const std::uint8_t code = encoded[--pos];
    if (code < 0x80) {
      for (int i = 6; i >= 0; --i) {
        if ((code >> i) & 1U) {
          out.push_back(0);
        } else {
          if (pos == 0) {
            return truncated(code_at);
          }
          out.push_back(encoded[--pos]);
        }
      }
    } else {
      const std::size_t n = code == 0xff ? kFullRun : (code & 0x7fU) + kMinRun;
      if (code != 0xff) {
        out.push_back(0);
      }
      if (pos < n) {
        return truncated(code_at);
      }
      for (std::size_t k = 0; k < n; ++k) {
        out.push_back(encoded[--pos]);
      }
    }
  }
  std::reverse(out.begin(), out.end());
  return core::Status();
}

void rzcobs_encode(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out) {
  std::size_t p = 0;
  const std::size_t len = data.size();
  while (p < len) {
    std::size_t run = 0;
    while (p + run < len && data[p + run] != 0 && run < kFullRun) {
      ++run;
    }
    if (run == kFullRun) {
      out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(p),
                 data.begin() + static_cast<std::ptrdiff_t>(p + run));
      out.push_back(0xff);
      p += run;
    } else if (run >= kMinRun && run <= kMaxRun) {
      // The run and the zero after it (past the end, the decoder's output gets one extra
      // trailing zero, which defmt frames ignore).
      out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(p),
                 data.begin() + static_cast<std::ptrdiff_t>(p + run));
      out.push_back(static_cast<std::uint8_t>(0x80U | (run - kMinRun)));
      p += run + 1;
    } else {
      std::uint8_t code = 0;
      for (std::size_t j = 0; j < 7; ++j) {
        if (p + j >= len || data[p + j] == 0) {
          code = static_cast<std::uint8_t>(code | (1U << j));
        } else {
          out.push_back(data[p + j]);
        }
      }
      out.push_back(code);
      p += 7;
    }
  }
}

std::size_t RzcobsDeframer::find_zero(const std::uint8_t* p, std::size_t n) noexcept {
  const void* z = std::memchr(p, 0, n);
  return z == nullptr ? n : static_cast<std::size_t>(static_cast<const std::uint8_t*>(z) - p);
}

void RzcobsDeframer::append(const std::uint8_t* p, std::size_t n) {
  if (n == 0) {
    return;
  }
  if (oversized_) {
    oversized_bytes_ += n;
    return;
  }
  if (pending_.size() + n > max_frame_size_) {
    // Too long to be a frame of this stream: drop it up to the next delimiter.
    oversized_ = true;
    oversized_bytes_ = pending_.size() + n;
    pending_.clear();
    return;
  }
  pending_.insert(pending_.end(), p, p + n);
}

bool RzcobsDeframer::end_frame() {
  if (oversized_) {
    ++counters_.oversized_frames;
    ++counters_.corrupt_frames;
    counters_.bytes_skipped += oversized_bytes_;
    oversized_ = false;
    oversized_bytes_ = 0;
    return false;
  }
  if (pending_.empty()) {
    return false;  // a run of delimiters
  }
  const bool ok = rzcobs_decode(pending_, decoded_).ok();
  if (ok) {
    ++counters_.frames;
  } else {
    ++counters_.corrupt_frames;
    counters_.bytes_skipped += pending_.size();
  }
  pending_.clear();
  return ok;
}

void RzcobsDeframer::reset_frame() noexcept {
  counters_.bytes_skipped += pending_.size() + oversized_bytes_;
  pending_.clear();
  oversized_ = false;
  oversized_bytes_ = 0;
}

}  // namespace edgetrace::decoder
