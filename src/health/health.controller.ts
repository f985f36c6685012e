import { Controller, Get, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from '../redis/redis.service';

class ChecksDto {
  @ApiProperty({ enum: ['up', 'down'] })
  database!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down', 'disabled'] })
  redis!: 'up' | 'down' | 'disabled';
}

class HealthSummaryDto {
  @ApiProperty({ enum: ['UP', 'DOWN'] })
  status!: 'UP' | 'DOWN';
  @ApiProperty({ format: 'date-time' })
  timestamp!: string;
  @ApiProperty({ example: '0.1.0' })
  version!: string;
  @ApiProperty({ example: 120 })
  uptimeSec!: number;
  @ApiProperty({ example: 2 })
  liveStreams!: number;
  @ApiProperty({ example: 130 })
  websocketConnections!: number;
  @ApiProperty({ example: 150 })
  onlineViewers!: number;
  @ApiProperty({
    description: 'Process CPU use since the previous call, percent of one core',
    example: 3.2,
  })
  cpuUsage!: number;
  @ApiProperty({ description: 'Resident set size', example: 96.4 })
  memoryUsageMb!: number;
  @ApiProperty({ type: ChecksDto })
  checks!: ChecksDto;
}

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  private lastCpu = process.cpuUsage();
  private lastCpuAt = process.hrtime.bigint();

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
    private readonly metrics: MetricsService,
    @Optional() private readonly redis?: RedisService,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: database (and Redis when configured) answer and the process is not draining',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.checkReady();
    } catch (err) {
      // Terminus reports "not ready" as a 503 exception carrying its result; answer with that
      // result (the contract's Terminus shape), not the generic error shape.
      if (err instanceof ServiceUnavailableException) {
        void reply.status(503);
        return err.getResponse() as HealthCheckResult;
      }
      throw err;
    }
  }

  private checkReady(): Promise<HealthCheckResult> {
    return this.health.check([
      () => {
        const check = this.indicator.check('lifecycle');
        return this.lifecycle.shuttingDown
          ? check.down({ draining: true })
          : check.up({ draining: false });
      },
      () => this.db.pingCheck('database', { timeout: 1500 }),
      ...(this.redis ? [() => this.redisCheck()] : []),
    ]);
  }

  @Get()
  @ApiOperation({ summary: 'Summary for people and simple monitors' })
  @ApiOkResponse({ type: HealthSummaryDto })
  @ApiServiceUnavailableResponse({ type: HealthSummaryDto })
  async summary(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthSummaryDto> {
    const [database, redis] = await Promise.all([
      // Terminus 11 indicators report "down" in their result instead of throwing.
      this.db.pingCheck('database', { timeout: 1500 }).then(
        (r) => (r.database?.status === 'up' ? ('up' as const) : ('down' as const)),
        () => 'down' as const,
      ),
      this.redis
        ? this.redis.ping().then((ok) => (ok ? ('up' as const) : ('down' as const)))
        : Promise.resolve('disabled' as const),
    ]);
    const [liveStreams, websocketConnections, onlineViewers] = await Promise.all([
      this.metrics.readGauge(this.metrics.liveStreams),
      this.metrics.readGauge(this.metrics.wsConnections),
      this.metrics.readGauge(this.metrics.onlineViewers),
    ]);
    const status =
      database === 'up' && redis !== 'down' && !this.lifecycle.shuttingDown ? 'UP' : 'DOWN';
    if (status === 'DOWN') void reply.status(503);
    return {
      status,
      timestamp: new Date().toISOString(),
      version: this.config.version,
      uptimeSec: Math.round(process.uptime()),
      liveStreams,
      websocketConnections,
      onlineViewers,
      cpuUsage: this.cpuPercent(),
      memoryUsageMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
      checks: { database, redis },
    };
  }

  private async redisCheck() {
    const ok = await this.redis!.ping();
    const check = this.indicator.check('redis');
    return ok ? check.up() : check.down();
  }

  private cpuPercent(): number {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = Number(now - this.lastCpuAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    if (wallUs <= 0) return 0;
    return Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10;
  }
}
