import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An attachment or inline image of one message. The bytes live once per content in
 * `attachment_blob`, keyed by their SHA-256: the same logo in every signature, or the same
 * PDF forwarded ten times, is stored once.
 */
@Entity('attachment')
@Index(['messageId', 'position'])
export class Attachment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The message row's id (not the mail's Message-ID). */
  @Column('uuid')
  messageId: string;

  @Column('uuid')
  requestId: string;

  /** Order within the mail. */
  @Column('integer')
  position: number;

  @Column('varchar', { length: 300 })
  filename: string;

  @Column('varchar', { length: 200 })
  contentType: string;

  @Column('integer')
  size: number;

  /** Content-ID without angle brackets: what `cid:` URLs in the message's HTML name. */
  @Column('varchar', { length: 500, nullable: true })
  contentId: string | null;

  @Column('boolean', { default: false })
  inline: boolean;

  @Index()
  @Column('varchar', { length: 64 })
  sha256: string;
}
