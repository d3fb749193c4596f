import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type RequestStatus = 'open' | 'closed';
export const REQUEST_STATUSES: readonly RequestStatus[] = ['open', 'closed'];

/**
 * A request (ticket): the conversation an incoming mail started. `number` is the short,
 * service-wide number people quote and outgoing subjects carry as `[##<number>##]`; it comes
 * from a sequence, so numbers never repeat (a rolled-back mail leaves a gap, which is fine).
 */
@Entity('request')
@Index(['mailboxId', 'createdAt'])
@Index(['createdAt'])
export class Request {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('integer', { unique: true })
  @Generated('increment')
  number: number;

  @Column('text')
  subject: string;

  @Column('varchar', { length: 8, default: 'open' })
  status: RequestStatus;

  /** No foreign key: api.md, deleting a mailbox keeps its requests. */
  @Column('uuid')
  mailboxId: string;

  @Column('varchar', { length: 300, nullable: true })
  requesterName: string | null;

  /** Lower-cased. */
  @Index()
  @Column('varchar', { length: 320 })
  requesterEmail: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
