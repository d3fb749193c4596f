import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Attachment bytes, content-addressed: one row per distinct content, whatever the number of attachments naming it. */
@Entity('attachment_blob')
export class AttachmentBlob {
  /** Hex SHA-256 of `content`. */
  @PrimaryColumn('varchar', { length: 64 })
  sha256: string;

  @Column('integer')
  size: number;

  @Column('bytea')
  content: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
