import { Module } from '@nestjs/common';
import { MAIL_INTAKE } from '../incoming/mail-intake.port';
import { SAMPLE_DECIDER } from '../incoming/sample-mail.service';
import { OutgoingModule } from '../outgoing/outgoing.module';
import { ReplyService } from './api/reply.service';
import { RequestsController } from './api/requests.controller';
import { RequestsService } from './api/requests.service';
import { RequestIntake } from './intake/request-intake';
import { PipelineSampleDecider } from './intake/sample-decider';
import { PrepareWorkerPool } from './parsing/prepare-worker-pool';
import { RequestPipeline } from './pipeline/request-pipeline';
import { QuarantineController } from './quarantine/quarantine.controller';
import { QuarantineService } from './quarantine/quarantine.service';
import { QuarantineWriter } from './quarantine/quarantine.writer';
import { OutgoingMessageWriter } from './replies/outgoing-message.writer';
import { RequestsMetrics } from './requests.metrics';
import { AcknowledgeStep } from './steps/acknowledge.step';
import { AcknowledgementRateStep } from './steps/acknowledgement-rate.step';
import { DuplicateCheckStep } from './steps/duplicate-check.step';
import { LoopBreakerStep } from './steps/loop-breaker.step';
import { StoreStep } from './steps/store.step';
import { ThreadStep } from './steps/thread.step';
import { IncomingMessageWriter } from './storage/incoming-message.writer';

/**
 * Mail into requests: the pipeline behind the fetch seam (MAIL_INTAKE), its dry run for
 * "Fetch a sample mail" (SAMPLE_DECIDER), the Requests and Quarantine API. Acknowledgements
 * and replies go to the OUTBOX of the outgoing module.
 */
@Module({
  imports: [OutgoingModule],
  controllers: [RequestsController, QuarantineController],
  providers: [
    RequestsMetrics,
    DuplicateCheckStep,
    ThreadStep,
    LoopBreakerStep,
    AcknowledgementRateStep,
    StoreStep,
    AcknowledgeStep,
    RequestPipeline,
    PrepareWorkerPool,
    IncomingMessageWriter,
    QuarantineWriter,
    OutgoingMessageWriter,
    RequestIntake,
    PipelineSampleDecider,
    RequestsService,
    ReplyService,
    QuarantineService,
    { provide: MAIL_INTAKE, useExisting: RequestIntake },
    { provide: SAMPLE_DECIDER, useExisting: PipelineSampleDecider },
  ],
  exports: [MAIL_INTAKE, SAMPLE_DECIDER, RequestIntake, RequestsService],
})
export class RequestsModule {}
