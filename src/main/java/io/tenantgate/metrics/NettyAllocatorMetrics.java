package io.tenantgate.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;

/**
 * Netty buffer memory: what a flood of connections grows first. Direct memory comes from Netty's own
 * counter (every allocator, including the adaptive one Vert.x 5 uses on Netty 4.2); heap from the
 * default allocator when it reports it.
 */
final class NettyAllocatorMetrics {
  private NettyAllocatorMetrics() {
  }

  static void bindTo(MeterRegistry registry) {
    Gauge.builder("tenantgate.netty.pool.used.bytes", () -> Math.max(0, PlatformDependent.usedDirectMemory()))
        .tag("memory", "direct").baseUnit("bytes").strongReference(true).register(registry);
    Gauge.builder("tenantgate.netty.pool.used.bytes", NettyAllocatorMetrics::heap)
        .tag("memory", "heap").baseUnit("bytes").strongReference(true).register(registry);
  }

  private static double heap() {
    return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedHeapMemory() : 0;
  }
}
