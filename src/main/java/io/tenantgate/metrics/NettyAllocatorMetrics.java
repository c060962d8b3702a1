package io.tenantgate.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * Direct buffer memory, where Netty keeps connection and TLS buffers: what a flood of connections
 * grows first. Netty's own counter when it tracks direct memory itself, else the JVM's direct buffer
 * pool (which then holds Netty's buffers).
 */
final class NettyAllocatorMetrics {
  private NettyAllocatorMetrics() {
  }

  static void bindTo(MeterRegistry registry) {
    BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> "direct".equals(b.getName())).findFirst().orElse(null);
    Gauge.builder("tenantgate.netty.pool.used.bytes", () -> {
      long netty = PlatformDependent.usedDirectMemory();
      return netty >= 0 ? netty : direct == null ? 0 : direct.getMemoryUsed();
    }).description("Direct memory Netty has allocated (the JVM's direct buffer pool when Netty does not count it)")
        .tag("memory", "direct").baseUnit("bytes").strongReference(true).register(registry);
  }
}
