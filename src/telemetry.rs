//! Logging: JSON lines in production and whenever the output is not a terminal (log
//! shippers), readable text when a person is watching a development server. With the `otel`
//! feature and `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans (requests, database calls, jobs) are
//! also exported as OpenTelemetry traces over OTLP/HTTP.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Settings;

/// Keeps trace export running; dropping it flushes the spans not yet sent.
#[must_use = "dropping it stops trace export"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    tracer_provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.tracer_provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("could not flush the last traces: {err}");
        }
    }
}

/// Install the global subscriber once; later calls (several apps in one test process) only
/// return a handle that owns nothing.
pub fn init(settings: &Settings) -> Telemetry {
    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = settings.is_production() || !std::io::stdout().is_terminal();
    let logs = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    };

    #[cfg(feature = "otel")]
    {
        let (traces, tracer_provider) = match settings.ops.otel_endpoint.as_deref() {
            Some(endpoint) => match otel::layer(endpoint) {
                Ok((layer, provider)) => (Some(layer), Some(provider)),
                Err(err) => {
                    eprintln!("OpenTelemetry export is off: {err:#}");
                    (None, None)
                }
            },
            None => (None, None),
        };
        let installed = tracing_subscriber::registry()
            .with(filter)
            .with(logs)
            .with(traces)
            .try_init()
            .is_ok();
        Telemetry {
            tracer_provider: tracer_provider.filter(|_| installed),
        }
    }
    #[cfg(not(feature = "otel"))]
    {
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(logs)
            .try_init();
        if settings.ops.otel_endpoint.is_some() {
            tracing::warn!(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no `otel` feature: no traces are exported"
            );
        }
        Telemetry {}
    }
}

#[cfg(feature = "otel")]
mod otel {
    use anyhow::Context;
    use opentelemetry::trace::TracerProvider;
    use opentelemetry_otlp::{SpanExporter, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::Layer;
    use tracing_subscriber::registry::LookupSpan;

    /// A layer exporting spans in batches to `<endpoint>/v1/traces`, as the
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` convention says, and W3C `traceparent` propagation.
    pub fn layer<S>(
        endpoint: &str,
    ) -> anyhow::Result<(Box<dyn Layer<S> + Send + Sync>, SdkTracerProvider)>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
    {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .build()
            .context("building the OTLP exporter")?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(env!("CARGO_PKG_NAME"))
                    .build(),
            )
            .build();
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
        let layer = tracing_opentelemetry::layer().with_tracer(tracer).boxed();
        Ok((layer, provider))
    }
}
