import { tracingSwitch } from './telemetry.js';

describe('tracingSwitch', () => {
  it.each([
    [{}, false, 'no OTEL_TRACES_EXPORTER or OTLP endpoint set'],
    [{ OTEL_SERVICE_NAME: 'cloudledger', OTEL_TRACES_SAMPLER: 'always_on' }, false, 'no OTEL_TRACES_EXPORTER or OTLP endpoint set'],
    [{ OTEL_TRACES_EXPORTER: '' }, false, 'no OTEL_TRACES_EXPORTER or OTLP endpoint set'],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true, 'OTEL_TRACES_EXPORTER=otlp'],
    [{ OTEL_TRACES_EXPORTER: ' console , otlp ' }, true, 'OTEL_TRACES_EXPORTER=console,otlp'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true, 'OTEL_EXPORTER_OTLP_ENDPOINT is set (exporter: otlp)'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (exporter: otlp)'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false, 'no OTEL_TRACES_EXPORTER or OTLP endpoint set'],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false, 'OTEL_TRACES_EXPORTER=none'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' }, false, 'OTEL_SDK_DISABLED=true'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }, true, 'OTEL_TRACES_EXPORTER=otlp'],
  ])('given %j: on is %s (%s)', (env, enabled, reason) => {
    // given the variables / when the switch reads them / then it says on or off, and why
    expect(tracingSwitch(env)).toEqual({ enabled, reason });
  });
});
