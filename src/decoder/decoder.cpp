#include "edgetrace/decoder/decoder.hpp"

#include <string>
#include <utility>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"

namespace edgetrace::decoder {

std::string_view to_string(StreamFormat format) noexcept {
  switch (format) {
    case StreamFormat::kEdgetrace:
      return "edgetrace";
    case StreamFormat::kDefmtRzcobs:
      return "defmt-rzcobs";
    case StreamFormat::kDefmtRaw:
      return "defmt-raw";
  }
  return "unknown";
}

core::Result<StreamFormat> parse_stream_format(std::string_view text) {
  for (StreamFormat f :
       {StreamFormat::kEdgetrace, StreamFormat::kDefmtRzcobs, StreamFormat::kDefmtRaw}) {
    if (text == to_string(f))
      return f;
  }
  return core::Status(core::StatusCode::kInvalidArgument,
                      "unknown stream format '" + std::string(text) +
                          "' (expected edgetrace, defmt-rzcobs or defmt-raw)");
}

StreamFormat defmt_stream_format(const DefmtTable& table) noexcept {
  return table.encoding() == DefmtEncoding::kRaw ? StreamFormat::kDefmtRaw
                                                 : StreamFormat::kDefmtRzcobs;
}

core::Result<std::unique_ptr<Decoder>> make_decoder(StreamFormat format, DecoderTables tables,
                                                    DecoderOptions options) {
  switch (format) {
    case StreamFormat::kEdgetrace: {
      auto decoder =
          std::make_unique<StreamDecoder>(std::move(tables.edgetrace), std::move(options));
      if (tables.resolver)
        decoder->set_table_resolver(std::move(tables.resolver));
      return std::unique_ptr<Decoder>(std::move(decoder));
    }
    case StreamFormat::kDefmtRzcobs:
    case StreamFormat::kDefmtRaw: {
      if (!tables.defmt) {
        return core::Status(core::StatusCode::kInvalidArgument,
                            std::string(to_string(format)) + " streams need a defmt table");
      }
      const DefmtEncoding encoding =
          format == StreamFormat::kDefmtRaw ? DefmtEncoding::kRaw : DefmtEncoding::kRzcobs;
      return std::unique_ptr<Decoder>(
          std::make_unique<DefmtDecoder>(std::move(tables.defmt), std::move(options), encoding));
    }
  }
  return core::Status(core::StatusCode::kInvalidArgument, "unknown stream format");
}

}  // namespace edgetrace::decoder
