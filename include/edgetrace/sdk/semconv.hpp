// OpenTelemetry semantic-convention attribute names as constants, so that instrumentation
// uses the names every OpenTelemetry backend understands and a typo fails to compile.
//
//   #include <edgetrace/sdk/semconv.hpp>
//   namespace sc = edgetrace::semconv;
//
//   auto span = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer}), "GET /users/{id}");
//   span.record(sc::http::kRequestMethod, "GET");
//   span.record(sc::http::kRoute, "/users/{id}");
//   span.record(sc::http::kResponseStatusCode, 200);
//   ET_INFO("answered", field<sc::http::kResponseStatusCode>(200));
//
// The names are those of the stable OpenTelemetry semantic conventions (v1.3x): HTTP, URL,
// server/client/network, user agent, error, database, exception, code, service and thread.
// RPC and messaging names are not yet stable upstream; the current ones are given. Names an
// earlier convention used and newer ones replaced are grouped in `deprecated` namespaces, for
// readers of older data only.
//
// The constants are field names of the ET_* macros too: field<sc::http::kRoute>(route) is
// field<"http.route">(route) (event.hpp), besides Span::record(), attribute maps and tests.
// Constants are std::string_view literals with static storage: no allocation, usable from
// any thread.
#pragma once

#include <string_view>

namespace edgetrace::semconv {

// HTTP client and server spans.
namespace http {
// The request method, upper case ("GET", "POST"), or "_OTHER" for an unknown method.
inline constexpr std::string_view kRequestMethod = "http.request.method";
// The method exactly as received when kRequestMethod had to be "_OTHER".
inline constexpr std::string_view kRequestMethodOriginal = "http.request.method_original";
// How many times a client re-sent this request (retries and redirects), when not the first.
inline constexpr std::string_view kRequestResendCount = "http.request.resend_count";
// The response status code (an integer).
inline constexpr std::string_view kResponseStatusCode = "http.response.status_code";
// The matched route template with low cardinality ("/users/{id}"); server spans only.
inline constexpr std::string_view kRoute = "http.route";
// Prefix of request header attributes: "http.request.header.<lowercase name>".
inline constexpr std::string_view kRequestHeaderPrefix = "http.request.header.";
// Prefix of response header attributes: "http.response.header.<lowercase name>".
inline constexpr std::string_view kResponseHeaderPrefix = "http.response.header.";
// The value of kRequestMethod for a method outside the known set.
inline constexpr std::string_view kMethodOther = "_OTHER";
}  // namespace http

// URL parts (RFC 3986).
namespace url {
// The absolute URL of a client request, without credentials ("https://example.com/a?b=c").
inline constexpr std::string_view kFull = "url.full";
// The path of a server request ("/users/42").
inline constexpr std::string_view kPath = "url.path";
// The query without the leading '?' ("q=1&r=2").
inline constexpr std::string_view kQuery = "url.query";
// The scheme ("http", "https").
inline constexpr std::string_view kScheme = "url.scheme";
// The fragment without the leading '#'.
inline constexpr std::string_view kFragment = "url.fragment";
}  // namespace url

// The server side of a connection, as the client sees it (also set on server spans).
namespace server {
// The host name or address the client addressed (from Host / :authority on the server).
inline constexpr std::string_view kAddress = "server.address";
// The port the client addressed (an integer).
inline constexpr std::string_view kPort = "server.port";
}  // namespace server

// The client side of a connection, as the server sees it.
namespace client {
// The client's address (behind a proxy: the original client when known).
inline constexpr std::string_view kAddress = "client.address";
// The client's port (an integer).
inline constexpr std::string_view kPort = "client.port";
}  // namespace client

// The network connection under the request.
namespace network {
// The application protocol in lower case ("http").
inline constexpr std::string_view kProtocolName = "network.protocol.name";
// The protocol version ("1.1", "2").
inline constexpr std::string_view kProtocolVersion = "network.protocol.version";
// The peer address of the socket (may differ from client.address behind a proxy).
inline constexpr std::string_view kPeerAddress = "network.peer.address";
// The peer port of the socket (an integer).
inline constexpr std::string_view kPeerPort = "network.peer.port";
// The local address of the socket.
inline constexpr std::string_view kLocalAddress = "network.local.address";
// The local port of the socket (an integer).
inline constexpr std::string_view kLocalPort = "network.local.port";
// The OSI transport layer ("tcp", "udp", "unix", "pipe", "quic").
inline constexpr std::string_view kTransport = "network.transport";
// The OSI network layer ("ipv4", "ipv6").
inline constexpr std::string_view kType = "network.type";
}  // namespace network

// The client software.
namespace user_agent {
// The User-Agent header value as sent.
inline constexpr std::string_view kOriginal = "user_agent.original";
}  // namespace user_agent

// Why an operation failed.
namespace error {
// A low-cardinality error class: an exception type, an error code, or a status code such
// as "500"; set only when the operation failed.
inline constexpr std::string_view kType = "error.type";
// The value of kType when no better class is known.
inline constexpr std::string_view kOther = "_OTHER";
}  // namespace error

// Database client spans.
namespace db {
// The database product ("postgresql", "mysql", "sqlite", "redis").
inline constexpr std::string_view kSystemName = "db.system.name";
// The database (and schema) the operation works on ("customers", "public.users").
inline constexpr std::string_view kNamespace = "db.namespace";
// The operation or command ("SELECT", "findAndModify", "HMSET").
inline constexpr std::string_view kOperationName = "db.operation.name";
// The query text, parameterised or sanitised ("SELECT * FROM users WHERE id = ?").
inline constexpr std::string_view kQueryText = "db.query.text";
// A low-cardinality summary of the query ("SELECT users").
inline constexpr std::string_view kQuerySummary = "db.query.summary";
// The table or collection ("users").
inline constexpr std::string_view kCollectionName = "db.collection.name";
// The database's own status code of a failed operation ("42P01", "ORA-17002").
inline constexpr std::string_view kResponseStatusCode = "db.response.status_code";
// The stored procedure called.
inline constexpr std::string_view kStoredProcedureName = "db.stored_procedure.name";
// How many queries a batch operation carried (an integer, at least 2).
inline constexpr std::string_view kOperationBatchSize = "db.operation.batch.size";
namespace deprecated {
// Replaced by db.system.name.
inline constexpr std::string_view kSystem = "db.system";
// Replaced by db.query.text.
inline constexpr std::string_view kStatement = "db.statement";
}  // namespace deprecated
}  // namespace db

// Remote procedure calls (client and server spans).
namespace rpc {
// The RPC system ("grpc", "connect_rpc", "dotnet_wcf", "java_rmi").
inline constexpr std::string_view kSystem = "rpc.system";
// The full service name ("myservice.EchoService").
inline constexpr std::string_view kService = "rpc.service";
// The method name ("Echo").
inline constexpr std::string_view kMethod = "rpc.method";
// The numeric gRPC status code of the call (an integer, 0 = OK).
inline constexpr std::string_view kGrpcStatusCode = "rpc.grpc.status_code";
}  // namespace rpc

// Messaging producer, consumer and client spans.
namespace messaging {
// The messaging system ("kafka", "rabbitmq", "aws_sqs", "mqtt").
inline constexpr std::string_view kSystem = "messaging.system";
// The system-specific operation ("send", "receive", "ack", "publish").
inline constexpr std::string_view kOperationName = "messaging.operation.name";
// The kind of operation: "create", "send", "receive", "process" or "settle".
inline constexpr std::string_view kOperationType = "messaging.operation.type";
// The topic, queue or channel ("orders").
inline constexpr std::string_view kDestinationName = "messaging.destination.name";
// The message's id as the system assigns it.
inline constexpr std::string_view kMessageId = "messaging.message.id";
// The conversation (correlation) id of the message.
inline constexpr std::string_view kMessageConversationId = "messaging.message.conversation_id";
// The message body size in bytes (an integer).
inline constexpr std::string_view kMessageBodySize = "messaging.message.body.size";
// How many messages a batch operation carried (an integer).
inline constexpr std::string_view kBatchMessageCount = "messaging.batch.message_count";
// The consumer group ("my-group").
inline constexpr std::string_view kConsumerGroupName = "messaging.consumer.group.name";
// The client id of the producer or consumer.
inline constexpr std::string_view kClientId = "messaging.client.id";
}  // namespace messaging

// Exceptions and errors recorded as span events (Span::record_error writes these).
namespace exception {
// The name of the span event that carries an exception.
inline constexpr std::string_view kEventName = "exception";
// The exception's type ("std::runtime_error", "java.net.ConnectException").
inline constexpr std::string_view kType = "exception.type";
// The exception's message ("connection refused").
inline constexpr std::string_view kMessage = "exception.message";
// The stack trace in the runtime's natural form.
inline constexpr std::string_view kStacktrace = "exception.stacktrace";
}  // namespace exception

// Where in the source code the operation happened.
namespace code {
// The fully qualified function name without arguments ("shop::Cart::checkout").
inline constexpr std::string_view kFunctionName = "code.function.name";
// The source file, preferably an absolute path.
inline constexpr std::string_view kFilePath = "code.file.path";
// The line in kFilePath (an integer).
inline constexpr std::string_view kLineNumber = "code.line.number";
// The column in kFilePath (an integer).
inline constexpr std::string_view kColumnNumber = "code.column.number";
// A stack trace in the runtime's natural form.
inline constexpr std::string_view kStacktrace = "code.stacktrace";
namespace deprecated {
// Replaced by code.function.name.
inline constexpr std::string_view kFunction = "code.function";
// Replaced by code.file.path.
inline constexpr std::string_view kFilepath = "code.filepath";
// Replaced by code.line.number.
inline constexpr std::string_view kLineno = "code.lineno";
// Folded into code.function.name (which is now fully qualified).
inline constexpr std::string_view kNamespace = "code.namespace";
}  // namespace deprecated
}  // namespace code

// The logical service (resource attributes).
namespace service {
// The logical name of the service ("checkout"); the key every backend groups by.
inline constexpr std::string_view kName = "service.name";
// The version of the service ("2.0.0", a build id).
inline constexpr std::string_view kVersion = "service.version";
// The unique id of this instance of the service (a UUID, a pod name).
inline constexpr std::string_view kInstanceId = "service.instance.id";
// A namespace grouping services ("shop").
inline constexpr std::string_view kNamespace = "service.namespace";
}  // namespace service

// The environment and SDK (resource attributes).
namespace resource {
// The deployment environment ("production", "staging").
inline constexpr std::string_view kDeploymentEnvironmentName = "deployment.environment.name";
// The host name.
inline constexpr std::string_view kHostName = "host.name";
// The process id (an integer).
inline constexpr std::string_view kProcessPid = "process.pid";
// The telemetry SDK's name ("edgetrace").
inline constexpr std::string_view kTelemetrySdkName = "telemetry.sdk.name";
// The SDK's language ("cpp").
inline constexpr std::string_view kTelemetrySdkLanguage = "telemetry.sdk.language";
// The SDK's version.
inline constexpr std::string_view kTelemetrySdkVersion = "telemetry.sdk.version";
}  // namespace resource

// The thread that did the work.
namespace thread {
// The OS thread id (an integer).
inline constexpr std::string_view kId = "thread.id";
// The thread's name.
inline constexpr std::string_view kName = "thread.name";
}  // namespace thread

}  // namespace edgetrace::semconv
