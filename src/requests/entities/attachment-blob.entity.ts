import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { PartsTable } from '../../core/database/byte-parts';

/**
 * Attachment contents, content-addressed: one row per distinct content, whatever the number
 * of attachments naming it. The bytes are in `attachment_blob_part`.
 */
@Entity('attachment_blob')
export class AttachmentBlob {
  /** Hex SHA-256 of the content. */
  @PrimaryColumn('varchar', { length: 64 })
  sha256: string;

  @Column('integer')
  size: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/**
 * A blob's bytes in parts of at most 1 MiB (core/database/byte-parts.ts), numbered from 0:
 * a 25 MB attachment is written and sent to a browser a part at a time, never whole in memory.
 */
@Entity('attachment_blob_part')
export class AttachmentBlobPart {
  @PrimaryColumn('varchar', { length: 64 })
  sha256: string;

  @PrimaryColumn('integer')
  part: number;

  @Column('bytea')
  content: Buffer;

  @ManyToOne(() => AttachmentBlob, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sha256', referencedColumnName: 'sha256' })
  blob?: AttachmentBlob;
}

/** Where attachment contents are, for core/database/byte-parts.ts: attachment_blob_part, by SHA-256. */
export const BLOB_PARTS: PartsTable = { table: 'attachment_blob_part', key: 'sha256', keyType: 'varchar' };
