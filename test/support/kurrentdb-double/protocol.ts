import { createRequire } from 'node:module';

/**
 * KurrentDB's gRPC protocol as the client ships it: the service definitions and message classes
 * that `@kurrent/kurrentdb-client` generated from KurrentDB's own .proto files (its `generated/`
 * folder), so the double speaks the wire format the client and its native bridge expect, byte for
 * byte, with no protocol text of its own.
 *
 * Loaded with Node's own require: the generated files register their classes on the global object
 * (google-protobuf's goog.exportSymbol), and grpc-js checks messages with instanceof, so the double
 * keeps one copy of each, whatever module registry a test runner puts the client in.
 */
const require = createRequire(import.meta.url);
const GENERATED = '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1';

export const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
export const streamsGrpc = require(`${GENERATED}/streams_grpc_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb.js');
export const streamsPb = require(`${GENERATED}/streams_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb.js');
export const sharedPb = require(`${GENERATED}/shared_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb.js');
export const statusPb = require(`${GENERATED}/status_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/status_pb.js');
export const featuresGrpc = require(`${GENERATED}/serverfeatures_grpc_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_grpc_pb.js');
export const featuresPb = require(`${GENERATED}/serverfeatures_pb.js`) as typeof import('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_pb.js');
export const emptyPb = require('google-protobuf/google/protobuf/empty_pb.js') as typeof import('google-protobuf/google/protobuf/empty_pb.js');
export const anyPb = require('google-protobuf/google/protobuf/any_pb.js') as typeof import('google-protobuf/google/protobuf/any_pb.js');
export const timestampPb = require('google-protobuf/google/protobuf/timestamp_pb.js') as typeof import('google-protobuf/google/protobuf/timestamp_pb.js');
