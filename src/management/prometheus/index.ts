export { escapeLabel, formatValue, PROMETHEUS_CONTENT_TYPE, renderExposition, type MetricFamily, type MetricType, type Sample } from './exposition';
export { clusterPermanentId } from './node';
export { collectDetailed, collectMetrics, DETAILED_FAMILIES } from './collect';
