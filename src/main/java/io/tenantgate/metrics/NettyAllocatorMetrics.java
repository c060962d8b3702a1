package io.tenantgate.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.PooledByteBufAllocator;

/** Netty's pooled buffer memory (direct and heap): the memory a flood of connections grows first. */
final class NettyAllocatorMetrics {
  private NettyAllocatorMetrics() {
  }

  static void bindTo(MeterRegistry registry) {
    ByteBufAllocatorMetric m = PooledByteBufAllocator.DEFAULT.metric();
    Gauge.builder("tenantgate.netty.pool.used.bytes", m, ByteBufAllocatorMetric::usedDirectMemory)
        .tag("memory", "direct").baseUnit("bytes").register(registry);
    Gauge.builder("tenantgate.netty.pool.used.bytes", m, ByteBufAllocatorMetric::usedHeapMemory)
        .tag("memory", "heap").baseUnit("bytes").register(registry);
  }
}
